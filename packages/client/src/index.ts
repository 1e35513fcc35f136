/**
 * The Countersign client. Not yet released: this entry point exports nothing until the client's
 * first working version lands.
 *
 * @module
 */
export {}
