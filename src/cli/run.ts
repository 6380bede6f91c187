// Entry point of the `resultant` command (bin/resultant.js runs the compiled copy, also in the end-to-end tests).
import { main } from './index.js';

process.exitCode = await main(process.argv);
