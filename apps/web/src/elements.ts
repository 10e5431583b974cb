/** The page's elements the board drives (index.html). */
export interface BoardElements {
  readonly boardName: HTMLElement;
  readonly connection: HTMLElement;
  readonly pending: HTMLElement;
  readonly role: HTMLElement;
  readonly offlineReady: HTMLElement;
  readonly errors: HTMLElement;
  readonly errorList: HTMLUListElement;
  readonly dismissErrors: HTMLButtonElement;
  readonly addForm: HTMLFormElement;
  readonly newTask: HTMLInputElement;
  readonly tasks: HTMLUListElement;
}

/** Finds the board's elements; throws naming the first one missing. */
export function findElements(doc: Document): BoardElements {
  const get = <T extends HTMLElement>(id: string, type: new () => T): T => {
    const element = doc.getElementById(id);
    if (!(element instanceof type)) throw new Error(`index.html lacks the #${id} element`);
    return element;
  };
  return {
    boardName: get('board-name', HTMLElement),
    connection: get('connection', HTMLElement),
    pending: get('pending', HTMLElement),
    role: get('role', HTMLElement),
    offlineReady: get('offline-ready', HTMLElement),
    errors: get('errors', HTMLElement),
    errorList: get('error-list', HTMLUListElement),
    dismissErrors: get('dismiss-errors', HTMLButtonElement),
    addForm: get('add-task', HTMLFormElement),
    newTask: get('new-task', HTMLInputElement),
    tasks: get('tasks', HTMLUListElement),
  };
}
