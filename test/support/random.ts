// Seeded random numbers for tests with noise (the demo generator's own).
export { gauss, mulberry32 } from '../../src/demo/random.js';
