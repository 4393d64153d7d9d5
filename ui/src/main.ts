import { mount } from "svelte";
import App from "./App.svelte";
import Editor from "./Editor.svelte";
import Settings from "./Settings.svelte";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("no #app element");
// One bundle, three windows: the panel, the editor (index.html#/editor) and the
// settings (index.html#/settings).
const Root = location.hash.startsWith("#/editor") ? Editor : location.hash.startsWith("#/settings") ? Settings : App;
export default mount(Root, { target });
