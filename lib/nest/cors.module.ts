import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { markFromAsync, type CorsModuleOptions } from '../core/index.js';
import { CORS_MODULE_OPTIONS } from './cors.constants.js';
import { CorsGateways } from './cors-gateways.js';
import { CorsHook } from './cors.hook.js';
import type { CorsModuleAsyncOptions, CorsOptionsFactory } from './cors-module-options.interface.js';
import { CorsService } from './cors.service.js';
import { CorsGuard, CorsInterceptor } from './cors.enhancers.js';

const PROVIDERS: Provider[] = [CorsHook, CorsGateways, CorsService, CorsGuard, CorsInterceptor];

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
@Global()
@Module({})
export class CorsModule {
  /** Configures CORS with options known now. Every option is checked when the app is created. */
  static forRoot(options: CorsModuleOptions = {}): DynamicModule {
    return {
      module: CorsModule,
      imports: [DiscoveryModule],
      providers: [{ provide: CORS_MODULE_OPTIONS, useValue: options }, ...PROVIDERS],
      exports: [CORS_MODULE_OPTIONS, CorsHook, CorsService, CorsGuard, CorsInterceptor],
    };
  }

  /** Configures CORS with options built by a factory or class, e.g. from a `ConfigService`. */
  static forRootAsync(options: CorsModuleAsyncOptions): DynamicModule {
    return {
      module: CorsModule,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [...createAsyncProviders(options), ...PROVIDERS],
      exports: [CORS_MODULE_OPTIONS, CorsHook, CorsService, CorsGuard, CorsInterceptor],
    };
  }
}

// The options a factory returns are marked as forRootAsync's (on a copy), so every start-up
// message names the call the user wrote, and a factory that returns nothing is refused
// instead of meaning every default.
function createAsyncProviders(options: CorsModuleAsyncOptions): Provider[] {
  if (options.useFactory) {
    const factory = options.useFactory;
    return [{ provide: CORS_MODULE_OPTIONS, useFactory: async (...args: unknown[]) => markFromAsync(await factory(...args)), inject: options.inject ?? [] }];
  }
  const factoryClass = options.useClass ?? options.useExisting;
  if (!factoryClass) {
    throw new Error('nest-cross-origin: CorsModule.forRootAsync() needs useFactory, useClass or useExisting');
  }
  const optionsProvider: Provider = {
    provide: CORS_MODULE_OPTIONS,
    useFactory: async (factory: CorsOptionsFactory) => markFromAsync(await factory.createCorsOptions()),
    inject: [factoryClass],
  };
  return options.useClass ? [optionsProvider, { provide: options.useClass, useClass: options.useClass }] : [optionsProvider];
}
