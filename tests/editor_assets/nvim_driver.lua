-- Drives a headless Neovim like a user: waits for codestral-lsp to attach, enters insert mode at
-- the end of the file, waits for the suggestion (ghost text or completion menu), accepts it with
-- the keys the shipped config documents, and writes what happened to a JSON file.
--
-- Reads its orders from $NVIM_DRIVER (JSON): { mode = 'inline'|'classic', out = path,
-- accept = 'keys'|'get', back = n, keys = str } ('get' calls vim.lsp.inline_completion.get()
-- for configs that map no key; ``back`` moves the cursor that many characters left of the end
-- first; ``keys`` are typed once the ghost text shows, 60 ms before accepting).
-- Steps run in a coroutine that yields to the event loop between polls, so typed keys are
-- processed by Neovim's main loop exactly as if a user had typed them.

local spec = vim.json.decode(vim.env.NVIM_DRIVER)
local buf = vim.api.nvim_get_current_buf()
local result = { logs = {} }

local on_log = vim.lsp.handlers['window/logMessage']
vim.lsp.handlers['window/logMessage'] = function(err, params, ctx)
  table.insert(result.logs, params.message)
  return on_log(err, params, ctx)
end

local function finish(err)
  result.error = err
  result.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, true)
  result.errmsg = vim.v.errmsg
  result.status = vim.g.codestral_status
  local file = assert(io.open(spec.out, 'w'))
  file:write(vim.json.encode(result))
  file:close()
  vim.cmd(err and 'cquit! 3' or 'qall!')
end

local function sleep(ms)
  local co = coroutine.running()
  vim.defer_fn(function()
    coroutine.resume(co)
  end, ms)
  coroutine.yield()
end

local function wait_for(what, pred)
  for _ = 1, 500 do
    local value = pred()
    if value then
      return value
    end
    sleep(20)
  end
  error('timed out waiting for ' .. what)
end

local function ghost_text()
  local ns = vim.api.nvim_get_namespaces()['nvim.lsp.inline_completion']
  local marks = ns and vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, { details = true }) or {}
  for _, mark in ipairs(marks) do
    local details = mark[4]
    if details.virt_text then
      local lines = { details.virt_text[1][1] }
      for _, line in ipairs(details.virt_lines or {}) do
        table.insert(lines, line[1][1])
      end
      return lines
    end
  end
end

local function codestral_client()
  return vim.lsp.get_clients({ bufnr = buf, name = 'codestral' })[1]
end

local function accepted_logged()
  for _, message in ipairs(result.logs) do
    if message:find('accepted #1', 1, true) then
      return true
    end
  end
end

local function run()
  wait_for('the server to attach', codestral_client)
  local before = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, true), '\n')
  vim.cmd('normal! G')
  local left = string.rep('<Left>', spec.back or 0)
  if spec.mode == 'inline' then
    wait_for('inline completion to attach', function()
      return pcall(vim.api.nvim_get_autocmds, { group = 'nvim.lsp.inline_completion:' .. buf })
    end)
    vim.api.nvim_input('A' .. left)
    result.ghost = wait_for('ghost text', ghost_text)
    if spec.keys then
      vim.api.nvim_input(spec.keys)
      sleep(60)
    end
    if spec.accept == 'get' then
      vim.lsp.inline_completion.get()
    else
      vim.api.nvim_input('<Tab>') -- the accept key the shipped config and README document
    end
  else
    vim.api.nvim_input('A' .. left .. '<C-Space>')
    wait_for('the completion menu', function()
      return #vim.fn.complete_info({ 'items' }).items > 0
    end)
    result.menu = vim.tbl_map(function(item)
      return item.word
    end, vim.fn.complete_info({ 'items' }).items)
    result.before_accept = vim.api.nvim_get_current_line()
    vim.api.nvim_input('<C-y>')
  end
  wait_for('the buffer to change', function()
    return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, true), '\n') ~= before
  end)
  wait_for('the accept command to reach the server', accepted_logged)
  result.mode = vim.api.nvim_get_mode().mode
end

vim.defer_fn(function()
  finish('driver timed out')
end, 25000)

coroutine.wrap(function()
  local ok, err = pcall(run)
  finish(not ok and tostring(err) or nil)
end)()
