import { Module } from '@nestjs/common';
import { CorsModule } from '../../lib/index.js';
import { PAGE_ORIGIN } from '../config.js';
import { AboutController } from './about.controller.js';
import { ChatGateway } from './chat.gateway.js';
import { ExplainController } from './explain.controller.js';
import { GreetingsController } from './greetings.controller.js';
import { ItemsController } from './items.controller.js';
import { PartnerController } from './partner.controller.js';
import { SecretController } from './secret.controller.js';
import { SessionController } from './session.controller.js';

@Module({
  imports: [
    CorsModule.forRoot({
      // The app-wide policy: routes without @CrossOrigin, and unrouted paths (404s), admit
      // the page and nobody else.
      origins: [PAGE_ORIGIN],
      policies: {
        pageFeed: { origins: [PAGE_ORIGIN], exposeHeaders: ['X-Feed-Version'], maxAge: 600 },
      },
      // Logs one line per refused origin/method/header, so the terminal explains what the
      // page shows as "blocked by CORS". CORS_DEBUG=0 silences it.
      debug: process.env.CORS_DEBUG !== '0',
    }),
  ],
  controllers: [AboutController, ExplainController, GreetingsController, PartnerController, ItemsController, SecretController, SessionController],
  providers: [ChatGateway],
})
export class AppModule {}
