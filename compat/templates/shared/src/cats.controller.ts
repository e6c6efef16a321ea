import {
  CanActivate,
  Controller,
  Get,
  Injectable,
  Post,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { CrossOrigin } from 'nest-cross-origin';

/** Refuses every request, so the test can check that a guard's 401 still carries CORS headers. */
@Injectable()
export class DenyGuard implements CanActivate {
  canActivate(): boolean {
    throw new UnauthorizedException('no token');
  }
}

@Controller('cats')
export class CatsController {
  @Get()
  list() {
    return [{ name: 'Tom' }];
  }

  // Handler-level options merge over forRoot's: same origins, plus a preflight cache time.
  @CrossOrigin({ maxAge: 600 })
  @Post()
  create() {
    return { created: true };
  }

  @CrossOrigin(false)
  @Get('internal')
  internal() {
    return { internal: true };
  }

  @UseGuards(DenyGuard)
  @Get('secret')
  secret() {
    return { secret: true };
  }
}
