// Benchmark scenario 'pypi' (being written).
export async function run(): Promise<void> {
  console.log('scenario pypi: not written yet');
}
