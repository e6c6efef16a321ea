// @CrossOrigin(): writes a controller's or a handler's CORS value as metadata, nothing else.
import type { CorsOptions } from '../core/index.js';
import { CROSS_ORIGIN_METADATA } from './cors.constants.js';

/** What `@CrossOrigin()` takes: options, the name of a policy from `forRoot({ policies })`, or `false`. */
export type CrossOriginValue = CorsOptions | string | false;

/**
 * Sets the CORS policy of a controller or of one handler, over `CorsModule.forRoot()`'s
 * options, key by key (handler over controller over forRoot over defaults). `false` turns CORS
 * off; a string selects a named policy. Only writes metadata: the policy is compiled and
 * checked once, at start-up.
 *
 * @example
 * ```ts
 * @CrossOrigin({ origins: 'https://*.partner.example' })
 * @Controller('cats')
 * export class CatsController {
 *   @CrossOrigin({ maxAge: 600 }) @Post() create() {}
 *   @CrossOrigin(false) @Get('internal') internal() {}
 *   @CrossOrigin('partners') @Get('feed') feed() {}
 * }
 * ```
 * @publicApi
 */
export function CrossOrigin(value: CrossOriginValue = {}): ClassDecorator & MethodDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    Reflect.defineMetadata(CROSS_ORIGIN_METADATA, value, descriptor ? descriptor.value : target);
    return descriptor as never;
  };
}
