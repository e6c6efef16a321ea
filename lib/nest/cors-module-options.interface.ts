import type { ModuleMetadata, Type } from '@nestjs/common';
import type { CorsModuleOptions } from '../core/index.js';

/** A class that builds the module options, for `forRootAsync({ useClass | useExisting })`. */
export interface CorsOptionsFactory {
  /** Returns the options `CorsModule.forRoot()` would take. */
  createCorsOptions(): CorsModuleOptions | Promise<CorsModuleOptions>;
}

/** What `CorsModule.forRootAsync()` takes: one of `useFactory`, `useClass` or `useExisting`. */
export interface CorsModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Builds the options from the providers listed in `inject`, e.g. a `ConfigService`. */
  useFactory?: (...args: any[]) => CorsModuleOptions | Promise<CorsModuleOptions>;
  /** Providers passed to `useFactory`, in order. */
  inject?: any[];
  /** A class the module instantiates to call its `createCorsOptions()`. */
  useClass?: Type<CorsOptionsFactory>;
  /** A provider already available (from `imports`) whose `createCorsOptions()` is called. */
  useExisting?: Type<CorsOptionsFactory>;
}
