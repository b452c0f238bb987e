-- nvim-lspconfig-style definition of codestral-lsp (Neovim 0.11+).
--
-- Copy this file to ~/.config/nvim/lsp/codestral.lua (any `lsp/` directory on 'runtimepath'
-- works, which is how nvim-lspconfig ships its configs), then in init.lua:
--
--   vim.lsp.enable('codestral')
--   vim.lsp.inline_completion.enable()  -- Neovim 0.12+: ghost text
--   vim.keymap.set('i', '<Tab>', function()  -- accept it (Neovim has no default key for that)
--     if not vim.lsp.inline_completion.get() then
--       return '<Tab>'
--     end
--   end, { expr = true })
--
-- For classic completion instead (Neovim 0.11), enable it when the server attaches:
--   vim.api.nvim_create_autocmd('LspAttach', { callback = function(args)
--     vim.lsp.completion.enable(true, args.data.client_id, args.buf, { autotrigger = false })
--   end })
-- and ask with <C-x><C-o> (the omnifunc) or vim.lsp.completion.get().
--
-- The API key comes from the CODESTRAL_API_KEY environment variable; settings go under
-- `settings.codestral` with the keys of the server's settings table (see the README).

---@type vim.lsp.Config
return {
  cmd = { 'codestral-lsp' },
  root_markers = { '.git' },
  settings = { codestral = {} },
}
