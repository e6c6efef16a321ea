import type { ModuleMetadata, Type } from '@nestjs/common';
import type { CorsModuleOptions } from '../core/index.js';

/** A class that builds the module options, for `forRootAsync({ useClass | useExisting })`. */
export interface CorsOptionsFactory {
  createCorsOptions(): CorsModuleOptions | Promise<CorsModuleOptions>;
}

/** What `CorsModule.forRootAsync()` takes: one of `useFactory`, `useClass` or `useExisting`. */
export interface CorsModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: any[]) => CorsModuleOptions | Promise<CorsModuleOptions>;
  inject?: any[];
  useClass?: Type<CorsOptionsFactory>;
  useExisting?: Type<CorsOptionsFactory>;
}
