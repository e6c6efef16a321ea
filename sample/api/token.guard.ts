import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { SAMPLE_TOKEN } from '../config.js';

/** Lets a request through only with `Authorization: Bearer sample-token`. */
@Injectable()
export class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const { headers } = context.switchToHttp().getRequest<{ headers: IncomingHttpHeaders }>();
    if (headers.authorization === `Bearer ${SAMPLE_TOKEN}`) return true;
    throw new UnauthorizedException(`send "Authorization: Bearer ${SAMPLE_TOKEN}"`);
  }
}
