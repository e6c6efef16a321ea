import { Module } from '@nestjs/common';
import { CorsModule } from 'nest-cross-origin';
import { AppController } from './app.controller.js';
import { AppService } from './app.service.js';
import { CatsController } from './cats.controller.js';

// Kept from the generated app (AppController/AppService) so the CLI's own specs still pass;
// CorsModule.forRoot() is the only CORS set-up, as the README promises.
export const ALLOWED_ORIGINS = ['https://app.example.com', 'https://*.partner.example'];

@Module({
  imports: [CorsModule.forRoot({ origins: ALLOWED_ORIGINS })],
  controllers: [AppController, CatsController],
  providers: [AppService],
})
export class AppModule {}
