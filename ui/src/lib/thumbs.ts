// Thumbnails of stored images (panel rows and preview): the image's bytes from the app
// (`image_bytes`) as an object URL, fetched once per image and window.
import { api } from "./api";

const urls = new Map<string, Promise<string | null>>();

/** An object URL of the stored image `sha256`, or null when it cannot be read (the
 *  preview then says what is wrong with it). */
export function thumbUrl(sha256: string): Promise<string | null> {
  let url = urls.get(sha256);
  if (!url) {
    url = api.imageBytes(sha256).then(
      (buf) => URL.createObjectURL(new Blob([buf])),
      () => null,
    );
    urls.set(sha256, url);
  }
  return url;
}
