/**
 * PostgreSQL through `pg`: the scale-out database (several stateless servers, one database).
 */
import pg from 'pg';
import { SiteError } from '../errors.js';
import { START_UP_INPUT } from '../start-up-inputs.js';
import { redactUrl, type Database, type Queryable, type QueryOptions, type QueryResult } from './database.js';

/**
 * PostgreSQL's refusals of the URL itself (SQLSTATE class 28: wrong user or password, refused by
 * pg_hba.conf; 3D000: no such database): the URL is wrong, whereas a server that does not answer
 * may answer later.
 */
const URL_REFUSED = /^(28[0-9A-Z]{3}|3D000)$/;

/** Why a connection failed, as the site's error: bad input (the URL) or unavailable (the server). */
function connectError(url: string, e: Error): SiteError {
  const code = (e as { code?: unknown }).code;
  const refused = typeof code === 'string' && URL_REFUSED.test(code);
  return new SiteError(refused ? 'bad-input' : 'unavailable', {
    input: START_UP_INPUT.database,
    rule: `cannot connect to the database ${redactUrl(url)}: ${e.message}`,
    hint: refused ? 'check the user, the password, the database name and pg_hba.conf' : 'check that PostgreSQL runs and answers at the URL (host and port)',
  });
}

// int8 (sizes, ids) and numeric as JS numbers, as on PGlite; timestamps stay Date objects.
pg.types.setTypeParser(20, (v: string) => Number(v));
pg.types.setTypeParser(1700, (v: string) => Number(v));

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T>(sql: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<QueryResult<T>> {
      const r = options.name
        ? await client.query({ name: options.name, text: sql, values: params as unknown[] })
        : await client.query(sql, params as unknown[]);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

export async function openPostgres(url: string, options: { maxConnections?: number } = {}): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
  // An idle client losing its connection must not crash the server; the next query reconnects.
  pool.on('error', () => {});
  const probe = await pool.connect().catch((e: Error) => {
    void pool.end();
    throw connectError(url, e);
  });
  probe.release();
  const base = wrap(pool);
  return {
    kind: 'postgres',
    location: redactUrl(url),
    query: base.query,
    exec: base.exec,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify, onEnd) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`"${channel}" is not a channel name (lower-case letters, digits, _)`);
      const client = new pg.Client({ connectionString: url });
      let ended = false;
      const end = (error?: Error): void => {
        if (ended) return;
        ended = true;
        onEnd(error);
      };
      client.on('notification', (n) => {
        if (n.channel === channel) onNotify(n.payload ?? '');
      });
      client.on('error', (e) => {
        end(e);
        void client.end().catch(() => {});
      });
      client.on('end', () => end());
      try {
        await client.connect();
        await client.query(`LISTEN ${channel}`);
      } catch (e) {
        ended = true;
        await client.end().catch(() => {});
        throw connectError(url, e as Error);
      }
      return async () => {
        ended = true;
        await client.end().catch(() => {});
      };
    },
    close: () => pool.end(),
  };
}
