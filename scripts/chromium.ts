/**
 * The browser the dashboard's tests and screenshots use: Debian's chromium, driven by
 * playwright-core. Nothing ever downloads a browser; CI installs the package when missing.
 */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless, and quiet on the network: no update checks or other background requests. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];
