import { Controller, Get } from '@nestjs/common';
import { CrossOrigin } from '../../lib/index.js';

// No @CrossOrigin on the class: its routes follow CorsModule.forRoot() in app.module.ts.
@Controller('greetings')
export class GreetingsController {
  @Get()
  hello() {
    return { message: 'Hello from the API', policy: 'CorsModule.forRoot()' };
  }

  // Still answered for same-origin and server-side callers; only browsers on other origins
  // lose the right to read it.
  @CrossOrigin(false)
  @Get('internal')
  internal() {
    return { message: 'internal only', policy: '@CrossOrigin(false)' };
  }
}
