import { mount } from "svelte";
import App from "./App.svelte";
import Editor from "./Editor.svelte";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("no #app element");
// One bundle, two windows: the panel and the editor (opened as index.html#/editor).
const Root = location.hash.startsWith("#/editor") ? Editor : App;
export default mount(Root, { target });
