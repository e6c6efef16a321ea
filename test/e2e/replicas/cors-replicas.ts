// docs/recipes/replicas-redis.md, as written: the code between the markers is the recipe's,
// byte for byte but for the import path of the library (checked by replicas-redis.e2e-spec.ts).
// The replica apps the test starts (replica.app.ts) import it from here.
// recipe:start
import {
  BadRequestException, Body, Controller, HttpCode, Inject, Injectable, Logger, Module, Put, ServiceUnavailableException,
  type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown,
} from '@nestjs/common';
import { createClient } from 'redis';
import { CorsConfigError, CorsService, type CorsModuleOptions, type CorsOptionsFollower } from '../../../lib/index.js';

/** The key that holds the options every replica applies (JSON), and the channel that says they changed. */
export const CORS_KEY = 'cors:options';
export const CORS_CHANNEL = 'cors:options';

export interface CorsReplicaSettings {
  /** The Redis every replica shares, e.g. `redis://user:password@redis.internal:6379`. */
  readonly url: string;
  /** This replica's name: its connections are `<name>:commands` and `<name>:subscriber` in CLIENT LIST. */
  readonly name: string;
}

const SETTINGS = Symbol('CorsReplicaSettings');

/** Keeps this replica's CORS options in step with Redis, and stores an admin's change for all. */
@Injectable()
export class CorsReplica implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CorsReplica');
  /** GET, SET, PUBLISH. A connection that subscribes can run no other command (RESP2). */
  private readonly commands;
  private readonly subscriber;
  private follower: CorsOptionsFollower | undefined;
  /** Reads the store again (set once following). */
  private resync = (): void => {};

  constructor(private readonly cors: CorsService, @Inject(SETTINGS) settings: CorsReplicaSettings) {
    this.commands = createClient({ url: settings.url, name: `${settings.name}:commands` });
    this.subscriber = createClient({ url: settings.url, name: `${settings.name}:subscriber` });
    // node-redis reconnects by itself (and subscribes again before 'ready'); without an
    // 'error' listener a lost connection would end the process instead.
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}; the CORS options in force stay`));
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    await Promise.all([this.commands.connect(), this.subscriber.connect()]);
    this.follower = await this.cors.follow({
      // null when nothing is stored yet: forRoot's options stay.
      read: async () => {
        const json = await this.commands.get(CORS_KEY);
        return json === null ? null : (JSON.parse(json) as CorsModuleOptions);
      },
      watch: (changed) => {
        this.resync = changed;
        // After every reconnection: a replica that missed messages reads the key again.
        this.subscriber.on('ready', changed);
        // Once subscribed, read again: a change stored between the first read and now is not missed.
        void this.subscriber.subscribe(CORS_CHANNEL, changed).then(changed, (error: Error) => this.logger.error(`Redis SUBSCRIBE failed: ${error.message}`));
        // Closing the connection ends the subscription.
        return () => this.subscriber.off('ready', changed);
      },
    });
  }

  /**
   * An admin's change, made through any replica: checked here first with every start-up check
   * (a CorsConfigError changes nothing, anywhere), then stored and announced to all replicas.
   */
  async change(options: unknown): Promise<void> {
    // Commands wait while Redis is away: refuse now rather than apply a change that is not stored.
    if (!this.commands.isReady) throw new Error('Redis is not connected');
    // What every replica will read: JSON. A RegExp or a predicate does not survive it.
    const json = JSON.stringify(options) ?? 'null';
    await this.cors.reconfigure(JSON.parse(json) as CorsModuleOptions);
    try {
      // One transaction: no replica hears of a change that was not stored.
      await this.commands.multi().set(CORS_KEY, json).publish(CORS_CHANNEL, String(Date.now())).exec();
    } catch (error) {
      // Not stored: this replica goes back to what the store holds (now, or once reconnected).
      this.resync();
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const stopping = this.follower?.stop();
    // close() waits for Redis: one that is away must not hold up shutdown.
    for (const client of [this.commands, this.subscriber]) {
      if (client.isReady) await client.close();
      else client.destroy();
    }
    await stopping;
  }
}

/** `PUT /admin/cors` with the whole new options as JSON. Guard it: it decides who may call your API. */
@Controller('admin/cors')
export class CorsAdminController {
  constructor(private readonly replica: CorsReplica) {}

  @Put()
  @HttpCode(204)
  async replace(@Body() options: unknown): Promise<void> {
    try {
      await this.replica.change(options);
    } catch (error) {
      if (error instanceof CorsConfigError) throw new BadRequestException({ message: 'invalid CORS options; nothing changed', issues: error.issues });
      throw new ServiceUnavailableException('the CORS options could not be stored; nothing changed');
    }
  }
}

@Module({})
export class CorsReplicaModule {
  static forRoot(settings: CorsReplicaSettings): DynamicModule {
    return { module: CorsReplicaModule, controllers: [CorsAdminController], providers: [{ provide: SETTINGS, useValue: settings }, CorsReplica] };
  }
}
// recipe:end
