/** The suite's entry in Chromium: the host calls `window.csConformance(net)` from Playwright. */
import { runSuite } from './suite.js'

globalThis.csConformance = runSuite
