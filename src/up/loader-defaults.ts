// How this run composes its manifest, set once by the command line before any manifest loads.
// Apart from host-view.ts so that setting it does not load the manifest loader (zod, yaml): a
// command that never reads a manifest (health, version) does not pay for it.

/** How this run composes its manifest (-f files, --profile, stdin), the same for every load. */
export interface ComposeDefaults {
  /** All the -f files, the first being the manifest itself: loading it loads them all, merged in order. */
  files?: readonly string[];
  profiles?: readonly string[];
  stdin?: string | Buffer; // the text of `-f -`
  target?: 'single' | 'swarm'; // --target: wins over the manifest's `target:`
}

let defaults: ComposeDefaults = {};

/** Set once by the command line, so that every loader of the run (dom0 up's reloads too) composes alike. */
export function setLoaderDefaults(d: ComposeDefaults): void {
  defaults = d;
}

export function loaderDefaults(): ComposeDefaults {
  return defaults;
}
