import { Module } from '@nestjs/common';
import { CorsModule } from '../../lib/index.js';
import { AboutController } from './about.controller.js';
import { ChatGateway } from './chat.gateway.js';
import { CorsAdminController } from './cors-admin.controller.js';
import { sampleCorsOptions } from './cors-options.js';
import { ExplainController } from './explain.controller.js';
import { GreetingsController } from './greetings.controller.js';
import { ItemsController } from './items.controller.js';
import { PartnerController } from './partner.controller.js';
import { SecretController } from './secret.controller.js';
import { SessionController } from './session.controller.js';

@Module({
  imports: [CorsModule.forRoot(sampleCorsOptions())],
  controllers: [
    AboutController, CorsAdminController, ExplainController, GreetingsController, PartnerController, ItemsController, SecretController, SessionController,
  ],
  providers: [ChatGateway],
})
export class AppModule {}
