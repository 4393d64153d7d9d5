import { mount } from "svelte";
import App from "./App.svelte";
import Editor from "./Editor.svelte";
import Note from "./Note.svelte";
import "./app.css";

import { followKeyboardFocus } from "./lib/focusring";

followKeyboardFocus(document);
const target = document.getElementById("app");
if (!target) throw new Error("no #app element");
// One bundle, three windows: the panel, the editor (opened as index.html#/editor) and
// the queue note (index.html#/note).
const Root = location.hash.startsWith("#/editor") ? Editor : location.hash.startsWith("#/note") ? Note : App;
export default mount(Root, { target });
