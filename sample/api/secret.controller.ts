import { Controller, Get, UseGuards } from '@nestjs/common';
import { TokenGuard } from './token.guard.js';

// Undecorated, so forRoot's policy applies, and it applies to the guard's 401 as well: the
// CORS headers are set before routing, so the page can read the real status instead of a
// network error.
@Controller('secret')
export class SecretController {
  @UseGuards(TokenGuard)
  @Get()
  secret() {
    return { secret: 42 };
  }
}
