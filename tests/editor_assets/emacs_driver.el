;;; emacs_driver.el --- drive eglot like a user, for tests/test_editor_emacs.py  -*- lexical-binding: t; -*-

;; Environment: DRIVER_CONFIG (the shipped file to load), DRIVER_FILE (the file to edit; the
;; cursor goes to its end), DRIVER_OUT (the buffer text afterwards is written there; an error
;; message goes to DRIVER_OUT.err).

(setq load-path (append (file-expand-wildcards "/usr/share/emacs/site-lisp/elpa/*") load-path))

(defun driver-finish (error-message)
  (when error-message
    (write-region error-message nil (concat (getenv "DRIVER_OUT") ".err")))
  (kill-emacs (if error-message 1 0)))

(condition-case err
    (progn
      (load (getenv "DRIVER_CONFIG") nil t)
      (find-file (getenv "DRIVER_FILE"))
      ;; eglot-ensure connects from post-command-hook, which batch mode never runs by itself.
      (run-hooks 'post-command-hook)
      ;; eglot waits `eglot-sync-connect' seconds, then finishes connecting in the background.
      (with-timeout (20 (error "eglot did not start codestral-lsp"))
        (while (not (eglot-current-server))
          (accept-process-output nil 0.05)))
      (goto-char (point-max))
      (completion-at-point)
      (write-region (point-min) (point-max) (getenv "DRIVER_OUT"))
      (driver-finish nil))
  (error (driver-finish (format "%S" err))))
