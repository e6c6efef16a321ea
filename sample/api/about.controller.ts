import { Controller, Get } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

// What the page says about the API it calls. Under CorsModule.forRoot(), like any undecorated route.
@Controller('about')
export class AboutController {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** The HTTP adapter serving this request ("express" or "fastify"), asked of the running app. */
  @Get()
  about() {
    return { adapter: this.adapterHost.httpAdapter.getType() };
  }
}
