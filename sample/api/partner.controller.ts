import { Controller, Get, Header } from '@nestjs/common';
import { CrossOrigin } from '../../lib/index.js';
import { PAGE_ORIGIN, PARTNER_ORIGINS } from '../config.js';

// The class policy replaces forRoot's `origins`, so the page is refused here by default.
@CrossOrigin({ origins: PARTNER_ORIGINS })
@Controller('partner')
export class PartnerController {
  @Get('catalog')
  catalog() {
    return { items: ['widget', 'gadget'], policy: 'controller @CrossOrigin (partners only)' };
  }

  // A handler option replaces the class value key by key: arrays are not merged, so the
  // partner pattern is listed again next to the page.
  @CrossOrigin({ origins: [PARTNER_ORIGINS, PAGE_ORIGIN] })
  @Get('status')
  status() {
    return { status: 'ok', policy: 'handler @CrossOrigin (partners + page)' };
  }

  // The named policy stands in for handler options, so it also replaces the class origins.
  @CrossOrigin('pageFeed')
  @Header('X-Feed-Version', '2024-06')
  @Get('feed')
  feed() {
    return { entries: 3, policy: "@CrossOrigin('pageFeed')" };
  }
}
