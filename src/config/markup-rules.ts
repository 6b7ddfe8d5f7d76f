// The names of the chat-markup rules a config may switch (recognizer.local.markupRules). The
// config schema validates against them, so they live in the config layer; the rules themselves
// are src/text/chat-markup.ts.

/** The rules, each switchable (recognizer.local.markupRules); mentions always resolve when hints name them. */
export const MARKUP_RULES = ['mentions', 'customEmoji', 'urls', 'emoji', 'hashtags', 'elongation', 'caps'] as const;
export type MarkupRule = (typeof MARKUP_RULES)[number];
