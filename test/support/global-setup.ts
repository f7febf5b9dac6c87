// Placeholder until the embedded database harness lands.
export default async function setup(): Promise<void> {}
