// Focus rings for keyboard users (#19 item 11). `:focus-visible` alone is not enough in
// WebKitGTK: a button reached with Tab does not always match it. So the window's root
// gets the class `keyboard` from the first Tab (or arrow, Enter, Space) until the mouse
// is used, and app.css rings every focused control while it is there.

/** Whether this key moves or acts on the focus (the keyboard is in use). */
export function focusKey(key: string): boolean {
  return key === "Tab" || key === "Enter" || key === " " || key.startsWith("Arrow") || key === "Escape";
}

/** Follow whether the keyboard or the mouse is in use in this window. */
export function followKeyboardFocus(doc: Document): void {
  const root = doc.documentElement;
  doc.addEventListener("keydown", (e) => {
    if (focusKey(e.key)) root.classList.add("keyboard");
  }, true);
  doc.addEventListener("mousedown", () => root.classList.remove("keyboard"), true);
}
