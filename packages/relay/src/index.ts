/**
 * The Countersign relay. Not yet released: this entry point exports nothing until the relay's
 * first working version lands.
 *
 * @module
 */
export {}
