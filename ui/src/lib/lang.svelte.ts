// The interface language as Svelte state: every `t()` a component's markup calls reads
// it, so a switch redraws each open view at once, the one showing the settings included.
import type { Lang } from "./i18n";

export const lang = $state<{ current: Lang }>({ current: "zh-CN" });
