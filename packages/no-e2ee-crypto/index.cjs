'use strict';
// matrix-bot-sdk requires the native crypto library when it is imported, but only
// calls into it when a client is built with a crypto store. The bot refuses any
// configuration that asks for encryption, so every export here is a class that
// throws a clear error if anything ever reaches it.
const message =
  'End-to-end encryption is not available in this build of the bot ' +
  '(the native @matrix-org/matrix-sdk-crypto-nodejs library is replaced by a stand-in).';

function unavailable(name) {
  return class {
    constructor() {
      throw new Error(`${message} Tried to use ${name}.`);
    }
    static [Symbol.hasInstance]() {
      return false;
    }
  };
}

module.exports = new Proxy(
  {},
  {
    get(target, name) {
      if (typeof name !== 'string' || name === '__esModule' || name === 'then') return undefined;
      if (!(name in target)) target[name] = unavailable(name);
      return target[name];
    },
  },
);
