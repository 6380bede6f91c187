// Entry point of the `resultant` command (bin/resultant.js runs the compiled copy; tests run this file with tsx).
import { main } from './index.js';

process.exitCode = await main(process.argv);
