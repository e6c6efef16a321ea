// The options of CorsModule.forRoot() / forRootAsync(), and the module definition Nest's
// ConfigurableModuleBuilder makes from them (as current Nest libraries build their modules).
import { ConfigurableModuleBuilder, type ConfigurableModuleAsyncOptions } from '@nestjs/common';
import type { CorsModuleOptions } from '../core/index.js';

/** A class that builds the module options, for `forRootAsync({ useClass | useExisting })`. */
export interface CorsOptionsFactory {
  /** Returns the options `CorsModule.forRoot()` would take. */
  createCorsOptions(): CorsModuleOptions | Promise<CorsModuleOptions>;
}

/**
 * What `CorsModule.forRootAsync()` takes: `imports`, and one of `useFactory` (with `inject`),
 * `useClass` or `useExisting` (a {@link CorsOptionsFactory}).
 */
export type CorsModuleAsyncOptions = ConfigurableModuleAsyncOptions<CorsModuleOptions, 'createCorsOptions'>;

export const {
  ConfigurableModuleClass: ConfigurableCorsModule,
  MODULE_OPTIONS_TOKEN: CORS_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<CorsModuleOptions>({ moduleName: 'Cors', optionsInjectionToken: 'nest-cross-origin:module-options' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createCorsOptions')
  .build();

/** Which of forRoot() and forRootAsync() gave the options, for messages. */
export const CORS_OPTIONS_ORIGIN = 'nest-cross-origin:options-origin';
