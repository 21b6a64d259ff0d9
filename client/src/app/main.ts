import { App } from "./app.js";

const root = document.getElementById("app");
if (!root) throw new Error("index.html lacks #app");
const app = new App(root);
app.start();
