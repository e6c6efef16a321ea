import { BadRequestException, Body, ConflictException, Controller, Delete, Get, HttpCode, NotFoundException, Post, Query } from '@nestjs/common';
import { CorsConfigError, CorsService, CrossOrigin } from '../../lib/index.js';
import { PAGE_ORIGIN } from '../config.js';
import { sampleCorsOptions } from './cors-options.js';

/** At most this many origins added at run time, and this long each: a sample, not a store. */
const MAX_EXTRA = 10;
const MAX_ORIGIN_LENGTH = 200;

/** What the panel shows: the origins added at run time. */
interface AdminAnswer {
  readonly origins: readonly string[];
}

function originFrom(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ORIGIN_LENGTH) {
    throw new BadRequestException({ message: `origin must be a string of 1 to ${MAX_ORIGIN_LENGTH} characters, such as http://localhost:3002` });
  }
  return value;
}

/**
 * The sample's admin panel: adds and removes origins while the API runs, with
 * CorsService.reconfigure() and the sample's own options plus the added origins. The library
 * checks each change as it checks forRoot() at start-up: a malformed or unsafe origin is
 * refused with every problem listed, and nothing changes.
 *
 * NO AUTHENTICATION: this is a sample, bound to localhost (main.ts). A real admin endpoint
 * needs a guard; CORS is no protection (curl sends any Origin it likes). Only the sample page
 * is admitted here, whatever origins are added: the panel lives on the page.
 */
@CrossOrigin({ origins: [PAGE_ORIGIN] })
@Controller('admin/cors/origins')
export class CorsAdminController {
  private extra: readonly string[] = [];
  /** Changes one at a time, in the order they came. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly cors: CorsService) {}

  @Get()
  list(): AdminAnswer {
    return { origins: this.extra };
  }

  @Post()
  @HttpCode(200)
  add(@Body() body: { origin?: unknown } | undefined): Promise<AdminAnswer> {
    const origin = originFrom(body?.origin);
    return this.change((extra) => {
      if (origin.toLowerCase() === PAGE_ORIGIN) throw new ConflictException({ message: `${PAGE_ORIGIN} is the sample page: the sample's own options list it already` });
      if (extra.some((o) => o.toLowerCase() === origin.toLowerCase())) throw new ConflictException({ message: `${origin} is already added` });
      if (extra.length >= MAX_EXTRA) throw new BadRequestException({ message: `at most ${MAX_EXTRA} origins can be added` });
      return [...extra, origin];
    });
  }

  @Delete()
  remove(@Query('origin') value: unknown): Promise<AdminAnswer> {
    const origin = originFrom(value);
    return this.change((extra) => {
      if (!extra.some((o) => o.toLowerCase() === origin.toLowerCase())) throw new NotFoundException({ message: `${origin} was not added` });
      return extra.filter((o) => o.toLowerCase() !== origin.toLowerCase());
    });
  }

  private change(next: (extra: readonly string[]) => readonly string[]): Promise<AdminAnswer> {
    const run = this.queue.then(async () => {
      const extra = next(this.extra);
      try {
        await this.cors.reconfigure(sampleCorsOptions(extra));
      } catch (error) {
        if (!(error instanceof CorsConfigError)) throw error;
        // Every problem the library found, in its own words; the options in force stay.
        throw new BadRequestException({ message: 'refused; nothing changed', issues: error.issues.map((i) => `${i.where}: ${i.option}: ${i.detail}`) });
      }
      this.extra = extra;
      return { origins: extra };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
