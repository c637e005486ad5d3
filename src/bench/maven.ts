// Benchmark scenario 'maven' (being written).
export async function run(): Promise<void> {
  console.log('scenario maven: not written yet');
}
