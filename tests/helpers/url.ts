/** file: URLs of paths, for tests. @module */
import { pathToFileURL } from "node:url";

/** The file: URL of an absolute path. */
export function toFileUrl(path: string): string {
  return pathToFileURL(path).href;
}
