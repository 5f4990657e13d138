// Terminal logging for the gateway: quiet by default (start-up and errors), one line per
// command with --verbose.
export interface Logger {
  info(message: string): void;
  error(message: string): void;
  verbose(message: string): void;
  readonly isVerbose: boolean;
}

export function consoleLogger(isVerbose: boolean): Logger {
  const stamp = (): string => new Date().toISOString();
  return {
    isVerbose,
    info: (message) => console.log(`${stamp()} docdb-gateway ${message}`),
    error: (message) => console.error(`${stamp()} docdb-gateway ERROR ${message}`),
    verbose: (message) => {
      if (isVerbose) console.log(`${stamp()} docdb-gateway ${message}`);
    },
  };
}

export const silentLogger: Logger = {
  isVerbose: false,
  info: () => {},
  error: () => {},
  verbose: () => {},
};
