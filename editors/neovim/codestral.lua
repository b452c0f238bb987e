-- codestral-lsp for Neovim 0.11+ (no plugins needed).
--
-- Install the server (`pipx install .` in a checkout of codestral-lsp), export
-- CODESTRAL_API_KEY, then put this file in ~/.config/nvim/plugin/ (or paste it into init.lua).
--
-- Neovim 0.12+: suggestions appear as ghost text while you type in insert mode.
--   <Tab>     accept the suggestion (inserts a plain <Tab> when there is none)
--   <M-]>     next suggestion (when the server offers several)
-- Neovim 0.11: classic completion.
--   <C-Space> ask for a suggestion; it shows in the completion menu; <C-y> inserts it
--
-- Set `vim.g.codestral_inline = false` before this file runs to use classic completion on 0.12.
-- The current status ({ kind = 'Normal'|'Error'|'Warning'|'Inactive', message, busy }) is kept in
-- `vim.g.codestral_status`, e.g. for a statusline.

vim.lsp.config('codestral', {
  cmd = { 'codestral-lsp' },
  -- No `filetypes`: attach to every file. List some here to restrict it.
  root_markers = { '.git' },
  -- Keys of the server's settings table (see the README); the server's defaults apply to
  -- anything left out. The API key is best left in the CODESTRAL_API_KEY environment variable.
  settings = {
    codestral = {
      -- provider = 'mistral',
      -- multiline = 'never',
    },
  },
  handlers = {
    -- For a statusline ({kind, message, busy}); the server tells trouble itself, once.
    ['codestral/didChangeStatus'] = function(_, status)
      vim.g.codestral_status = status
    end,
  },
})

local inline = vim.lsp.inline_completion ~= nil and vim.g.codestral_inline ~= false

vim.api.nvim_create_autocmd('LspAttach', {
  group = vim.api.nvim_create_augroup('codestral', { clear = true }),
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if not client or client.name ~= 'codestral' then
      return
    end
    if inline then
      -- Ghost text replaces the menu: stop offering the same suggestion twice.
      client.server_capabilities.completionProvider = nil
    else
      vim.lsp.completion.enable(true, client.id, args.buf, { autotrigger = false })
      -- Insert nothing until <C-y>: a multi-line suggestion then lands whole and intact.
      -- (pcall: only builds where 'completeopt' is global-local take a buffer value.)
      pcall(function()
        vim.bo[args.buf].completeopt = 'menu,menuone,noinsert,popup'
      end)
      vim.keymap.set('i', '<C-Space>', vim.lsp.completion.get, {
        buffer = args.buf,
        desc = 'Ask Codestral for a completion',
      })
    end
  end,
})

-- Neovim applies an accepted suggestion at the range it had when it was shown, however the line
-- changed since: keys typed just before <Tab> stayed behind the inserted text. codestral-lsp's
-- suggestions for Neovim each make the cursor's whole line new, so this applies one to the line
-- as it is now, provided the line still goes the suggestion's way.
local function accept(item)
  local text, range = item.insert_text, item.range
  local client = vim.lsp.get_client_by_id(item.client_id)
  local win = vim.api.nvim_get_current_win()
  local buf = vim.api.nvim_win_get_buf(win)
  local row, col = unpack(vim.api.nvim_win_get_cursor(win))
  if type(text) ~= 'string' then
    vim.snippet.expand(text.value)
  elseif not range then
    vim.api.nvim_paste(text, false, 0)
  else
    local start, last = range.start, range.end_
    if client and client.name == 'codestral' then
      local line = vim.api.nvim_get_current_line()
      local typed = line:sub(start.col + 1, col)
      if start.row ~= row - 1 or col < start.col or text:sub(1, #typed) ~= typed then
        return -- the line no longer goes the suggestion's way
      end
      last = { row = start.row, col = #line }
    end
    local lines = vim.split(text, '\n', { plain = true })
    vim.api.nvim_buf_set_text(buf, start.row, start.col, last.row, last.col, lines)
    local width = #lines[#lines] + (#lines == 1 and start.col or 0)
    vim.api.nvim_win_set_cursor(win, { start.row + #lines, width })
  end
  if client and item.command then
    client:exec_cmd(item.command, { bufnr = buf })
  end
end

if inline then
  vim.lsp.inline_completion.enable()
  vim.keymap.set('i', '<Tab>', function()
    if not vim.lsp.inline_completion.get({ on_accept = accept }) then
      return '<Tab>'
    end
  end, { expr = true, desc = 'Accept the Codestral suggestion' })
  vim.keymap.set('i', '<M-]>', function()
    vim.lsp.inline_completion.select({ count = 1 })
  end, { desc = 'Next Codestral suggestion' })
end

vim.lsp.enable('codestral')
