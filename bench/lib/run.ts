// Runs one benchmark within a time budget: whatever it started (bot, echo, people,
// databases) is stopped at the end, on an error, on Ctrl-C and when the budget runs out.
import { MongoClient } from 'mongodb';
import { stopAllPeople } from '../../test/e2e/people.ts';

type Cleanup = () => Promise<unknown> | unknown;

export class Resources {
  private readonly cleanups: Cleanup[] = [];

  /** Registers something to undo; undone in reverse order. */
  add(cleanup: Cleanup): void {
    this.cleanups.push(cleanup);
  }

  /** Drops a benchmark database at the end. */
  dropDatabaseAtEnd(uri: string, dbName: string): void {
    this.add(async () => {
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 3000 });
      try {
        await client.db(dbName).dropDatabase();
      } finally {
        await client.close();
      }
    });
  }

  async release(): Promise<void> {
    stopAllPeople();
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await Promise.race([cleanup(), new Promise((resolve) => setTimeout(resolve, 15_000))]);
      } catch (error) {
        console.error(`cleanup failed: ${(error as Error).message}`);
      }
    }
  }
}

export async function runBench(
  name: string,
  budgetMs: number,
  body: (resources: Resources) => Promise<void>,
): Promise<void> {
  const resources = new Resources();
  let finished = false;
  const abort = async (why: string) => {
    if (finished) return;
    finished = true;
    console.error(`${name}: ${why}; stopping what it started`);
    await resources.release();
    process.exit(1);
  };
  const watchdog = setTimeout(() => void abort(`over its ${budgetMs / 1000} s budget`), budgetMs);
  process.once('SIGINT', () => void abort('interrupted'));
  process.once('SIGTERM', () => void abort('terminated'));
  try {
    await body(resources);
  } catch (error) {
    console.error(`${name} failed:`, error);
    process.exitCode = 1;
  } finally {
    if (!finished) {
      finished = true;
      clearTimeout(watchdog);
      await resources.release();
    }
  }
  // Keep-alive sockets and the driver's timers must not hold the process.
  process.exit(process.exitCode ?? 0);
}
