// Placeholder until the local stack script lands: starts nothing yet.
export default function setup(): void {}
