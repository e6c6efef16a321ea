import { Body, Controller, Delete, Get, Headers, Param, Put, Res } from '@nestjs/common';
import { CrossOrigin } from '../../lib/index.js';

/** Both Express's `res` and Fastify's `reply` have this method. */
interface HeaderSetter {
  header(name: string, value: string): unknown;
}

const ITEMS = ['apple', 'pear', 'plum'];

// Without exposeHeaders a page script reads only the CORS-safelisted response headers;
// X-Total-Count would come back as null even though the response was allowed.
@CrossOrigin({ exposeHeaders: ['X-Total-Count'] })
@Controller('items')
export class ItemsController {
  @Get()
  list(@Res({ passthrough: true }) res: HeaderSetter) {
    res.header('X-Total-Count', String(ITEMS.length));
    return ITEMS;
  }

  // A JSON body and a custom header make the browser ask first (preflight); the library
  // answers that OPTIONS with this handler's policy.
  @Put(':id')
  update(@Param('id') id: string, @Body() body: unknown, @Headers('x-sample-client') client?: string) {
    return { id, saved: body, client: client ?? null };
  }

  // Deleting is left to same-origin and server-side callers: without DELETE in `methods`
  // the preflight gets no Access-Control-Allow-Methods and the browser never sends it.
  @CrossOrigin({ methods: ['GET', 'HEAD', 'PUT'] })
  @Delete(':id')
  remove(@Param('id') id: string) {
    return { deleted: id };
  }
}
