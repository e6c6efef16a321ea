import { randomUUID } from 'node:crypto';
import { Controller, Get, Headers, Post, Res } from '@nestjs/common';
import { CrossOrigin } from '../../lib/index.js';
import { PAGE_ORIGIN } from '../config.js';

interface HeaderSetter {
  header(name: string, value: string): unknown;
}

/** The session cookie's name; the chat gateway reads it from the socket's handshake too. */
export const COOKIE = 'sample_session';

export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

// Credentials need an explicit origin list: the library refuses supportsCredentials with
// origins '*' at start-up, since that would let any site act with the user's cookies.
@CrossOrigin({ origins: [PAGE_ORIGIN], supportsCredentials: true })
@Controller('session')
export class SessionController {
  @Post('login')
  login(@Res({ passthrough: true }) res: HeaderSetter) {
    const id = randomUUID();
    // SameSite=Lax is enough: localhost:3001 and localhost:3000 are the same site.
    res.header('Set-Cookie', `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600`);
    return { signedIn: true, session: id };
  }

  @Get('me')
  me(@Headers('cookie') cookie?: string) {
    const id = readCookie(cookie, COOKIE);
    return { signedIn: id !== null, session: id };
  }
}
