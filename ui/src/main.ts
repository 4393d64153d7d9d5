import { mount } from "svelte";
import App from "./App.svelte";
import Editor from "./Editor.svelte";
import Settings from "./Settings.svelte";
import Note from "./Note.svelte";
import "./app.css";

import { followKeyboardFocus } from "./lib/focusring";

followKeyboardFocus(document);
const target = document.getElementById("app");
if (!target) throw new Error("no #app element");
// One bundle, four windows: the panel, the editor (index.html#/editor), the settings
// (index.html#/settings) and the queue note (index.html#/note).
const Root = location.hash.startsWith("#/editor")
  ? Editor
  : location.hash.startsWith("#/settings")
    ? Settings
    : location.hash.startsWith("#/note")
      ? Note
      : App;
export default mount(Root, { target });
