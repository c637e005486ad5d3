// Benchmark scenario 'npm' (being written).
export async function run(): Promise<void> {
  console.log('scenario npm: not written yet');
}
