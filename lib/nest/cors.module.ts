// CorsModule: forRoot() / forRootAsync() from Nest's ConfigurableModuleBuilder, global, with
// the providers that compile the policies and install CORS on the HTTP adapter.
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { CorsModuleOptions } from '../core/index.js';
import { CorsGateways } from './cors-gateways.js';
import {
  ConfigurableCorsModule, CORS_MODULE_OPTIONS, CORS_OPTIONS_ORIGIN, type CorsModuleAsyncOptions,
} from './cors-module-options.interface.js';
import { CorsGuard, CorsInterceptor } from './cors.enhancers.js';
import { CorsInstaller } from './cors.installer.js';
import { CorsService } from './cors.service.js';

const PROVIDERS: Provider[] = [CorsInstaller, CorsGateways, CorsService, CorsGuard, CorsInterceptor];
const EXPORTS = [CORS_MODULE_OPTIONS, CorsInstaller, CorsService, CorsGuard, CorsInterceptor];

function complete(definition: DynamicModule, origin: 'forRoot' | 'forRootAsync'): DynamicModule {
  return {
    ...definition,
    global: true,
    imports: [DiscoveryModule, ...(definition.imports ?? [])],
    providers: [...(definition.providers ?? []), { provide: CORS_OPTIONS_ORIGIN, useValue: origin }, ...PROVIDERS],
    exports: EXPORTS,
  };
}

/**
 * App-wide CORS with Flask-CORS semantics. Import it once in the root module: it answers
 * preflights with the policy of the handler they announce and puts CORS headers on every
 * response, errors and 404s included, on Express and Fastify. No `app.enableCors()`, no
 * middleware or guard to register by hand.
 *
 * @example
 * ```ts
 * @Module({ imports: [CorsModule.forRoot({ origins: ['https://app.example.com'], exposeHeaders: ['X-Total'] })] })
 * export class AppModule {}
 * ```
 * @publicApi
 */
@Module({})
export class CorsModule extends ConfigurableCorsModule {
  /** Configures CORS with options known now. Every option is checked when the app is created. */
  static forRoot(options: CorsModuleOptions = {}): DynamicModule {
    return complete(super.forRoot(options), 'forRoot');
  }

  /** Configures CORS with options built by a factory or class, e.g. from a `ConfigService`. */
  static forRootAsync(options: CorsModuleAsyncOptions): DynamicModule {
    if (!options || (!options.useFactory && !options.useClass && !options.useExisting)) {
      throw new Error('nest-cross-origin: CorsModule.forRootAsync() needs useFactory, useClass or useExisting');
    }
    return complete(super.forRootAsync(options), 'forRootAsync');
  }
}
