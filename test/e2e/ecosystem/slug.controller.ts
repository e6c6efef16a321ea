// The catch-all Nest route that rule 6 (SPEC §3) is about: `:slug` at the root matches
// `/graphql`, `/legacy`, … which other handlers serve. Its body names it, so a test can tell
// who served a response.
import { Controller, Get, Param, Post } from '@nestjs/common';
import { CrossOrigin } from '../../../lib/index.js';

/** The only origin the slug controller's policy admits. */
export const SLUG = 'http://slug.test';

@CrossOrigin({ origins: SLUG })
@Controller()
export class SlugController {
  @Get(':slug') get(@Param('slug') slug: string) { return `slug ${slug}`; }
  @Post(':slug') post(@Param('slug') slug: string) { return `slug ${slug}`; }
}
