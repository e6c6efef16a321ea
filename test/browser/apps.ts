import {
  Body, Controller, Delete, Get, Header, Headers, Injectable, Param, ParseIntPipe, Patch, Post, Put, Query,
  UnauthorizedException, UseGuards, VersioningType, type CanActivate, type INestApplication,
} from '@nestjs/common';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { createApp, type AdapterCase } from '../utility/adapters.js';

/**
 * The page origins the browser runs scripts from. Their ports are only known once the page
 * servers listen, and decorators read their arguments when a class is defined, so every
 * controller below is defined inside a factory that receives them.
 */
export interface PageOrigins {
  /** http://127.0.0.1:<a>: the origin forRoot lists. */
  readonly listed: string;
  /** http://127.0.0.1:<b>: listed nowhere at top level; some routes admit it explicitly. */
  readonly other: string;
  /** http://localhost:<a>: same-site with the API, so cookies flow; for credential tests. */
  readonly sameSite: string;
}

/** Handler runs, as `name:tag`, so a test can tell a refused-but-served request from an unsent one. */
export type HandlerLog = string[];

@Injectable()
class DenyAllGuard implements CanActivate {
  canActivate(): boolean {
    throw new UnauthorizedException('a token is required');
  }
}

export interface MainApp {
  readonly app: INestApplication;
  readonly cookieName: string;
  readonly cookieValue: string;
}

export async function createMainApp(adapter: AdapterCase, o: PageOrigins, log: HandlerLog): Promise<MainApp> {
  const ran = (name: string, tag: unknown) => log.push(`${name}:${String(tag)}`);
  // Distinct per app: both adapters' APIs live on localhost, and cookies ignore ports.
  const cookieName = `sid_${adapter.name.toLowerCase()}`;
  const cookieValue = Math.random().toString(36).slice(2);

  // No @CrossOrigin: forRoot's policy.
  @Controller('open')
  class OpenController {
    @Get() list(@Query('t') t: string) {
      ran('open.list', t);
      return { items: ['a', 'b'] };
    }
    @Post() create(@Query('t') t: string, @Body() body: unknown) {
      ran('open.create', t);
      return { received: body };
    }
  }

  // The class admits only `other`; handlers override or switch CORS off, on one path.
  @CrossOrigin({ origins: [o.other] })
  @Controller('override')
  class OverrideController {
    @Post() create(@Query('t') t: string, @Body() body: unknown) {
      ran('override.create', t);
      return { created: body };
    }
    @CrossOrigin({ origins: [o.listed] })
    @Put(':id') replace(@Param('id') id: string, @Query('t') t: string, @Body() body: unknown) {
      ran('override.replace', t);
      return { id, replaced: body };
    }
    @CrossOrigin(false)
    @Delete(':id') remove(@Param('id') id: string, @Query('t') t: string) {
      ran('override.remove', t);
      return { id, removed: true };
    }
    @CrossOrigin(false)
    @Get('internal') internal(@Query('t') t: string) {
      ran('override.internal', t);
      return { internal: true };
    }
  }

  // CORS off for the class, back on for one handler with options of its own.
  @CrossOrigin(false)
  @Controller('dark')
  class DarkController {
    @Put(':id') off(@Param('id') id: string, @Query('t') t: string) {
      ran('dark.off', t);
      return { id };
    }
    @CrossOrigin({ origins: [o.listed] })
    @Patch(':id') on(@Param('id') id: string, @Query('t') t: string) {
      ran('dark.on', t);
      return { id, lit: true };
    }
  }

  @Controller('partners')
  class PartnersController {
    @CrossOrigin('partners')
    @Put(':id') update(@Param('id') id: string, @Query('t') t: string) {
      ran('partners.update', t);
      return { id, partner: true };
    }
  }

  @CrossOrigin({ methods: ['GET', 'POST', 'PUT'] })
  @Controller('limited')
  class LimitedController {
    @Put(':id') put(@Param('id') id: string, @Query('t') t: string) {
      ran('limited.put', t);
      return { id };
    }
    @Patch(':id') patch(@Param('id') id: string, @Query('t') t: string) {
      ran('limited.patch', t);
      return { id };
    }
  }

  @Controller('headers')
  class HeadersController {
    @CrossOrigin({ allowHeaders: ['Content-Type', 'X-Allowed'] })
    @Post('restricted') restricted(@Query('t') t: string, @Body() body: unknown) {
      ran('headers.restricted', t);
      return { received: body };
    }
    @CrossOrigin({ exposeHeaders: ['X-Total'] })
    @Get('exposed') @Header('X-Total', '42') @Header('X-Secret', 'hidden')
    exposed() {
      return { exposed: true };
    }
    @Get('unexposed') @Header('X-Total', '42') @Header('X-Secret', 'hidden')
    unexposed() {
      return { exposed: false };
    }
  }

  @Controller('errors')
  class ErrorsController {
    @UseGuards(DenyAllGuard)
    @Get('guarded') guarded(@Query('t') t: string) {
      ran('errors.guarded', t);
      return { secret: true };
    }
    @Get('items/:id') item(@Param('id', ParseIntPipe) id: number) {
      return { id };
    }
  }

  @Controller('session')
  class SessionController {
    @CrossOrigin({ origins: [o.sameSite], supportsCredentials: true })
    @Post('login') @Header('Set-Cookie', `${cookieName}=${cookieValue}; Path=/; SameSite=Lax; HttpOnly`)
    login(@Query('t') t: string) {
      ran('session.login', t);
      return { loggedIn: true };
    }
    @CrossOrigin({ origins: [o.sameSite] })
    @Post('login-plain') @Header('Set-Cookie', `${cookieName}=${cookieValue}; Path=/; SameSite=Lax; HttpOnly`)
    loginPlain(@Query('t') t: string) {
      ran('session.loginPlain', t);
      return { loggedIn: true };
    }
    @CrossOrigin({ origins: [o.sameSite], supportsCredentials: true })
    @Get('me') me(@Query('t') t: string, @Headers('cookie') cookie?: string) {
      ran('session.me', t);
      return { cookie: cookie ?? null };
    }
    @CrossOrigin({ origins: [o.sameSite] })
    @Get('me-plain') mePlain(@Query('t') t: string, @Headers('cookie') cookie?: string) {
      ran('session.mePlain', t);
      return { cookie: cookie ?? null };
    }
  }

  @Controller('cache')
  class CacheController {
    @CrossOrigin({ maxAge: 600 })
    @Put('long') long(@Query('t') t: string) {
      ran('cache.long', t);
      return { cached: 600 };
    }
    @CrossOrigin({ maxAge: 0 })
    @Put('none') none(@Query('t') t: string) {
      ran('cache.none', t);
      return { cached: 0 };
    }
  }

  const app = await createApp(
    {
      imports: [CorsModule.forRoot({ origins: [o.listed], policies: { partners: { origins: [o.other] } } })],
      controllers: [
        OpenController, OverrideController, DarkController, PartnersController, LimitedController,
        HeadersController, ErrorsController, SessionController, CacheController,
      ],
      providers: [DenyAllGuard],
    },
    adapter,
  );
  return { app, cookieName, cookieValue };
}

/** Two versions of one path under a global prefix, each admitting a different origin. */
export async function createVersionedApp(adapter: AdapterCase, o: PageOrigins, log: HandlerLog): Promise<INestApplication> {
  const ran = (name: string, tag: unknown) => log.push(`${name}:${String(tag)}`);

  @CrossOrigin({ origins: [o.listed] })
  @Controller({ path: 'items', version: '1' })
  class ItemsV1Controller {
    @Put(':id') replace(@Param('id') id: string, @Query('t') t: string) {
      ran('v1.replace', t);
      return { version: 1, id };
    }
  }

  @CrossOrigin({ origins: [o.other] })
  @Controller({ path: 'items', version: '2' })
  class ItemsV2Controller {
    @Put(':id') replace(@Param('id') id: string, @Query('t') t: string) {
      ran('v2.replace', t);
      return { version: 2, id };
    }
  }

  return createApp(
    { imports: [CorsModule.forRoot({ origins: [o.listed] })], controllers: [ItemsV1Controller, ItemsV2Controller] },
    adapter,
    (app) => {
      app.setGlobalPrefix('api');
      app.enableVersioning({ type: VersioningType.URI });
    },
  );
}
