import { isSyncError } from '@softadastra/sdk';
import type { BoardElements } from './elements.ts';

/**
 * The error banner: every typed error the SDK reported since the user last
 * dismissed it, one line per code (`E_STORAGE_QUOTA: …`), the latest message
 * of each. Errors never clear the board: what was shown stays.
 */
export class ErrorBanner {
  readonly #elements: BoardElements;
  readonly #byCode = new Map<string, string>();

  constructor(elements: BoardElements) {
    this.#elements = elements;
    elements.dismissErrors.addEventListener('click', () => {
      this.#byCode.clear();
      this.#render();
    });
  }

  /** Shows an error: a `SyncError` by its code, anything else as `E_UNEXPECTED`. */
  show(error: unknown): void {
    if (isSyncError(error)) this.#byCode.set(error.code, error.message);
    else this.#byCode.set('E_UNEXPECTED', error instanceof Error ? error.message : String(error));
    console.warn('board:', error);
    this.#render();
  }

  #render(): void {
    const items = [...this.#byCode].map(([code, message]) => {
      const item = document.createElement('li');
      item.dataset['code'] = code;
      const label = document.createElement('code');
      label.textContent = code;
      item.append(label, `: ${message}`);
      return item;
    });
    this.#elements.errorList.replaceChildren(...items);
    this.#elements.errors.hidden = items.length === 0;
  }
}
