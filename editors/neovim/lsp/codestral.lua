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
-- For classic completion instead (Neovim 0.11), enable it when the server attaches, with a
-- 'completeopt' that inserts nothing until <C-y> (else a multi-line suggestion lands as its
-- first line only, and <C-y> adds a stray character):
--   vim.api.nvim_create_autocmd('LspAttach', { callback = function(args)
--     vim.lsp.completion.enable(true, args.data.client_id, args.buf, { autotrigger = false })
--     pcall(function() vim.bo[args.buf].completeopt = 'menu,menuone,noinsert,popup' end)
--   end })
-- then ask with <C-x><C-o> (the omnifunc) or vim.lsp.completion.get(), and insert with <C-y>.
-- (pcall: builds where 'completeopt' is global only take `vim.o.completeopt = ...` instead.)
--
-- The API key comes from the CODESTRAL_API_KEY environment variable; settings go under
-- `settings.codestral` with the keys of the server's settings table (see the README).

---@type vim.lsp.Config
return {
  cmd = { 'codestral-lsp' },
  root_markers = { '.git' },
  settings = { codestral = {} },
}
